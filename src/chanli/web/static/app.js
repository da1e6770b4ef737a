// Small progressive enhancements shared by every page. Pages work without this file.
(function () {
  "use strict";

  // Filter forms send only the filters that are set, so pushed URLs stay short and readable
  // (/people?tier=core rather than /people?team_id=&tier=core&q=).
  document.addEventListener("htmx:configRequest", function (evt) {
    const params = evt.detail.parameters;
    const empty = [];
    const keys = typeof params.keys === "function" ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (k) {
      const v = typeof params.get === "function" ? params.get(k) : params[k];
      if (v === "" || v === null || v === undefined) empty.push(k);
    });
    empty.forEach(function (k) {
      if (typeof params.delete === "function") params.delete(k); else delete params[k];
    });
  });

  // The language switch keeps the filters the page shows now (the URL may have changed by HTMX).
  document.addEventListener("click", function (evt) {
    const link = evt.target.closest && evt.target.closest("a[data-lang]");
    if (!link) return;
    evt.preventDefault();
    const url = new URL(window.location.href);
    url.searchParams.set("lang", link.dataset.lang);
    window.location.href = url.toString();
  });

  // Dashboard period picker: a preset clears the custom months; a month switches to custom.
  document.addEventListener("change", function (evt) {
    const form = evt.target.closest && evt.target.closest("form.period-picker");
    if (!form) return;
    if (evt.target.name === "period") {
      if (evt.target.value === "custom") return;  // let the user pick months first
      form.querySelectorAll("input[type=month]").forEach(function (i) { i.disabled = true; });
    } else {
      form.querySelector("select[name=period]").value = "custom";
    }
    const select = form.querySelector("select[name=period]");
    if (select.value === "custom") select.disabled = true;  // months alone say "custom"
    form.submit();
  });
})();
