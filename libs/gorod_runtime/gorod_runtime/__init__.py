"""Gorod service kit: one copy of what every service needs (see docs/service-kit.md)."""
import warnings

# nameko 3 runs on eventlet; eventlet's deprecation notice is not actionable here.
warnings.filterwarnings("ignore", message="\nEventlet is deprecated")
