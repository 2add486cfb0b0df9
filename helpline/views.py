from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache


@login_not_required
@never_cache
def healthz(request):
    """200 when the database answers a query, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def home(request):
    """Send each member of staff to the place where their work is."""
    user = request.user
    if user.is_hotline_staff:
        return redirect("cases:list")
    if user.is_liaison:
        return redirect("escalation:queue")
    if user.is_staff:
        return redirect("admin:index")
    return redirect("logout_page")
