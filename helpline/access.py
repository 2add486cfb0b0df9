"""Role checks for pages and sockets. Object access lives in each app's selectors."""

from functools import wraps

from django.core.exceptions import PermissionDenied


def role_required(*checks: str):
    """Allow the view only to users for whom one of the named User properties is true.

    Example: @role_required("is_hotline_staff").
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not any(getattr(user, check, False) for check in checks):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


hotline_staff_required = role_required("is_hotline_staff")
supervisor_required = role_required("is_supervisor")
liaison_required = role_required("is_liaison")
