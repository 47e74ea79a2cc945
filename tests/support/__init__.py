"""Test doubles that speak real protocols over real sockets (local stand-ins for outside services)."""
