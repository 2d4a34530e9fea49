// Small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // After a refused submission, move focus to the error summary so that screen-reader
  // and keyboard users learn what to fix first.
  const summary = document.querySelector(".error-summary[tabindex]");
  if (summary) summary.focus();
  // Buttons that need a confirmation carry data-confirm="question".
  document.querySelectorAll("form [data-confirm]").forEach((button) => {
    button.form.addEventListener("submit", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
});
