"""Pages of the sample shop built in Python."""
from django.http import HttpResponse
from django.template import Context, Template
from django.utils.html import format_html


def hello(request):
    """The visitor's name spliced into HTML (the violation) beside format_html (the practice)."""
    name = request.GET.get("name", "")
    greeting = format_html("<p>Hello {}</p>", name)
    return HttpResponse(f"<p>Hello {name}</p>"), HttpResponse(greeting)


def not_found(request):
    """Input in a template's source (the violation) beside input in its context (the practice)."""
    page = request.GET.get("page", "")
    shown = Template("<h1>Not found: {{ page }}</h1>").render(Context({"page": page}))
    return shown, Template("<h1>Not found: %s</h1>" % page).render(Context({}))
