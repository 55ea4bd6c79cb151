// The portal's only script, an ES module served by the host. Every page works without it;
// it adds copy buttons and asks before destructive actions.

// <button data-copy="#id"> copies the text of the element the selector names.
for (const button of document.querySelectorAll('button[data-copy]')) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    const target = document.querySelector(button.dataset.copy);
    if (!target) return;
    try {
      await navigator.clipboard.writeText(target.textContent.trim());
      button.textContent = 'Copied';
    } catch {
      // No clipboard (an insecure origin): select the text so Ctrl-C copies it.
      const range = document.createRange();
      range.selectNodeContents(target);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = 'Press Ctrl-C';
    }
    setTimeout(() => (button.textContent = 'Copy'), 2000);
  });
}

// <form data-confirm="Revoke this token?"> asks before it is sent.
for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (event) => {
    if (!confirm(form.dataset.confirm)) event.preventDefault();
  });
}
