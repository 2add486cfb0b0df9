"""Vietnamese canned responses every hotline starts with; supervisors edit them later."""

from django.db import migrations

DEFAULTS = [
    (
        "Chào hỏi",
        "Chào bạn, mình là tư vấn viên của Tổng đài hỗ trợ thanh thiếu nhi. "
        "Bạn có thể kể cho mình nghe chuyện gì đang xảy ra không?",
    ),
    (
        "Bảo mật",
        "Những gì bạn chia sẻ được giữ kín. Mình chỉ phải báo cho người khác khi "
        "tính mạng hoặc sự an toàn của bạn hay của ai đó đang bị đe dọa.",
    ),
    (
        "Đang ở đây",
        "Mình vẫn đang ở đây và lắng nghe bạn. Bạn cứ từ từ, không cần vội.",
    ),
    (
        "Hỏi về an toàn",
        "Ngay lúc này bạn có đang an toàn không? Có ai đang làm hại hoặc đe dọa bạn không?",
    ),
    (
        "Lưu bằng chứng",
        "Bạn đừng xóa tin nhắn hay hình ảnh nhé. Hãy chụp màn hình lại (có cả tên tài khoản "
        "và thời gian) để làm bằng chứng, rồi chặn tài khoản đó.",
    ),
    (
        "Khẩn cấp",
        "Nếu bạn đang gặp nguy hiểm ngay lúc này, hãy gọi 113 (công an) hoặc 115 (cấp cứu). "
        "Bạn cũng có thể gọi Tổng đài quốc gia bảo vệ trẻ em 111, miễn phí.",
    ),
    (
        "Kết thúc",
        "Cảm ơn bạn đã tin tưởng chia sẻ. Khi nào cần, bạn cứ quay lại đây nhé. Chúc bạn bình an.",
    ),
]


def seed(apps, schema_editor):
    CannedResponse = apps.get_model("helpline", "CannedResponse")
    if CannedResponse.objects.filter(hotline__isnull=True).exists():
        return
    for position, (title, body) in enumerate(DEFAULTS, start=1):
        CannedResponse.objects.create(hotline=None, title=title, body=body, position=position * 10)


class Migration(migrations.Migration):
    dependencies = [("helpline", "0003_chat_realtime")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
