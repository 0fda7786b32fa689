"""The flows. Admin, REST API, command line and tasks validate input and call these."""

from .generation import GenerationParams, execute_version, generate, validate_params

__all__ = ["GenerationParams", "execute_version", "generate", "validate_params"]
