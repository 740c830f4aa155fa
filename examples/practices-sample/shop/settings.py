"""Settings for the sample shop."""
import os

from dotenv import load_dotenv

load_dotenv()

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = True
ALLOWED_HOSTS = ["shop.example.com"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "shop"]
ROOT_URLCONF = "shop.urls"
