"""The server's routes, one module per group; `ROUTERS` is the table `build_app` mounts."""

from bertkit.serve.routes import embed, meta, tasks

ROUTERS = [embed.router, tasks.router, meta.router]
