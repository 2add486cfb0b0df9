"""/board/: the supervisors' live board, a shell that ws/board/ fills (reports/sockets.py)."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpline.access import supervisor_required
from reports.board import board_scope_for_user
from reports.report import ALL


@supervisor_required
@require_GET
@never_cache
def board(request):
    central = board_scope_for_user(request.user) == ALL
    return render(
        request,
        "reports/board.html",
        {
            "central": central,
            "console_url": reverse("console"),
            "incidents_url": reverse("incidents:list"),
        },
    )
