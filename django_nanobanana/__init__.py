"""django-nanobanana: Gemini image generation ("Nano Banana") for Django sites."""

__version__ = "0.1.0"
