// SyncBridge UI: small enhancements over pages that work without scripts.
// - forms with data-confirm ask before they are sent;
// - htmx requests carry the CSRF token from the page's meta tag;
// - an error summary takes focus, so keyboard and screen-reader users land on it.
(function () {
  'use strict';
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener('htmx:configRequest', function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers['X-CSRF-Token'] = meta.getAttribute('content');
  });
  document.addEventListener('DOMContentLoaded', function () {
    var summary = document.getElementById('error-summary');
    if (summary) summary.focus();
  });
})();
