// Chat attachments (pages/components/chat_panel.py): a chosen or pasted file goes to the ticket's upload route.
async function helpdeskUpload(file) {
  const chat = document.querySelector('[data-chat-ticket]');
  if (!chat) return;
  const form = new FormData();
  form.append('file', file, file.name || 'screenshot.png');
  const note = chat.querySelector('[role=switch]');
  form.append('internal', note && note.getAttribute('aria-checked') === 'true' ? 'true' : 'false');
  const response = await fetch(`/tickets/${chat.dataset.chatTicket}/attachments`, {method: 'POST', body: form});
  if (!response.ok) {
    const body = await response.json().catch(() => ({detail: response.statusText}));
    Quasar.Notify.create({type: 'negative', message: String(body.detail)});
  }
}
document.addEventListener('paste', (event) => {
  const files = [...(event.clipboardData?.files || [])].filter((f) => f.type.startsWith('image/'));
  if (!files.length || !document.querySelector('[data-chat-ticket]')) return;
  event.preventDefault();
  files.forEach(helpdeskUpload);
});
document.addEventListener('change', (event) => {
  if (!event.target.matches || !event.target.matches('input.chat-file')) return;
  [...event.target.files].forEach(helpdeskUpload);
  event.target.value = '';
});
document.addEventListener('click', (event) => {
  const button = event.target.closest && event.target.closest('[data-attach]');
  if (button) button.parentElement.querySelector('input.chat-file')?.click();
});
