"""The API's routers, one per resource; ``cstool_api.app`` mounts them under ``/api/v1``."""
