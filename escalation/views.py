from django.shortcuts import render

from helpline.access import liaison_required


@liaison_required
def liaison_queue(request):
    return render(request, "escalation/queue.html", {"escalations": []})
