"""The supervisors' live board, mounted at /board/."""

from django.urls import path

from reports import views_board

app_name = "board"

urlpatterns = [path("", views_board.board, name="board")]
