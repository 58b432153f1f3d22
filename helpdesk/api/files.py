"""A stored attachment as an HTTP response, the same on the pages' port and the API's."""

from fastapi.responses import FileResponse

from helpdesk.domain.chat import AttachmentFile


def attachment_response(file: AttachmentFile) -> FileResponse:
    # Images and PDFs display inline; anything else downloads, so a text file can never render as a page.
    inline = file.content_type.startswith("image/") or file.content_type == "application/pdf"
    return FileResponse(
        file.path,
        media_type=file.content_type,
        filename=file.filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox", "Cache-Control": "private"},
    )
