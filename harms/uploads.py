"""Reading an uploaded file: in memory only, and never past a limit.

Django writes uploads over 2.5 MB to a temporary file; a child's screenshot
must not sit unencrypted on the disk, even for a moment. This handler keeps
the whole upload in memory and stops reading once it passes the limit.
"""

import io

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the multipart boundaries and the small fields around the file.
MULTIPART_OVERHEAD = 64 * 1024


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Keep each uploaded file in memory; past `limit` bytes, stop and say so (too_large)."""

    def __init__(self, request, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.too_large = False
        self.buffer = io.BytesIO()

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_large = True
            # Stop reading the file; the rest of the request is drained and dropped.
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            # The name the browser gave is never kept: it may hold a name or a date.
            name="upload",
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def memory_only_uploads(request, *, limit: int) -> MemoryOnlyUploadHandler:
    """Make this request read its files in memory, up to `limit` bytes each.

    Call before anything touches request.POST or request.FILES. A form should
    put its file input last: the fields after a file that was too large are
    not read.
    """
    handler = MemoryOnlyUploadHandler(request, limit=limit)
    request.upload_handlers = [handler]
    return handler


def upload_read(request, *, field: str, limit: int) -> tuple[bytes | None, bool]:
    """(the file's bytes or None, whether it was too large), reading the request in memory."""
    if content_length(request) > limit + MULTIPART_OVERHEAD:
        return None, True
    handler = memory_only_uploads(request, limit=limit)
    uploaded = request.FILES.getlist(field)
    if handler.too_large:
        return None, True
    if len(uploaded) != 1:
        return None, False
    return uploaded[0].read(), False
