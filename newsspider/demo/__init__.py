"""Offline demo portal: a recorded NukeViet site and the HTTP server that replays it."""
