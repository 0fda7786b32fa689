"""Create the demo superuser with a fresh random password and print the credentials.

Only for the example project's ``make demo``: there is no fixed default password anywhere.
The password is regenerated on every run, so the printed one is always the valid one.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or reset the 'demo' superuser and print its credentials."

    def handle(self, *args, **options):
        User = get_user_model()
        password = secrets.token_urlsafe(12)
        user, _created = User.objects.get_or_create(
            username="demo", defaults={"email": "demo@example.invalid"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(self.style.SUCCESS(
            "\n  Admin: http://127.0.0.1:8000/admin/\n"
            f"  User:  demo\n  Password: {password}\n"
        ))
