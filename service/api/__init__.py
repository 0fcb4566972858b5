"""HTTP routers of the REST API (mounted by ``service.app.create_app``)."""
