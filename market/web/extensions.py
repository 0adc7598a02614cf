"""The Flask extensions of the pages, made once and bound to the app by `market.web.init_app`."""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
