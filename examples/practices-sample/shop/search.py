"""Search views of the sample shop."""
from django.db import connection
from django.utils.html import format_html
from django.utils.safestring import mark_safe


def search(request):
    """String-built SQL (the violation) beside the parameterised query (the practice)."""
    term = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, name FROM shop_product WHERE name LIKE '%{term}%'")
        found = cursor.fetchall()
        cursor.execute("SELECT id, name FROM shop_product WHERE name LIKE %s", [f"%{term}%"])
        return found + cursor.fetchall()


def banner(request):
    """A user's text marked safe (the violation) beside format_html (the practice)."""
    name = request.GET.get("name", "")
    greeting = format_html("<b>Hello {}</b>", name)
    return mark_safe(greeting), mark_safe("<hr>"), mark_safe(request.GET.get("motd", ""))
