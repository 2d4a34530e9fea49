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

// Shortcuts from any page: Alt+<key> follows the link marked data-shortcut="Key<key>"
// (the same links carry accesskey, which browsers map to different modifiers).
document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const link = document.querySelector(`a[data-shortcut="${event.code}"]`);
  if (link) {
    event.preventDefault();
    window.location.assign(link.href);
  }
});

// The call screen: running timer, known callers, directory search in place, Ctrl+Enter.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("call-form");
  if (!form) return;
  const save = form.querySelector('button[name="enregistrer"]:not(.visually-hidden)');

  // Duration: counts from the screen's first opening until the coordinator types a value;
  // the start and whether it was corrected travel with the form, so that the timer keeps
  // running when a save is refused and the screen comes back.
  const duration = form.querySelector("[data-call-timer]");
  const startedField = form.elements.timer_started;
  const correctedField = form.elements.timer_corrected;
  const corrected = correctedField && correctedField.value === "1";
  if (duration && startedField && !corrected && (!duration.value || startedField.value)) {
    const started = Number(startedField.value) || Date.now();
    startedField.value = String(started);
    let touched = false;
    duration.addEventListener("input", () => {
      touched = true;
      if (correctedField) correctedField.value = "1";
    });
    const tick = () => {
      if (touched) return;
      const seconds = Math.floor((Date.now() - started) / 1000);
      duration.value = seconds >= 3600
        ? `${Math.floor(seconds / 3600)}h${String(Math.floor(seconds % 3600 / 60)).padStart(2, "0")}`
        : `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    };
    tick();
    window.setInterval(tick, 1000);
  }

  // Known callers: a recognised phone number or name fills the fields still empty. The
  // answer arrives while the coordinator types: a field they touched, or the one they are
  // in, is never filled (its text would run into theirs).
  const status = document.getElementById("caller-recognised");
  const touched = new Set();
  form.addEventListener("input", (event) => {
    if (event.target.name) touched.add(event.target.name);
  });
  const fill = (caller) => {
    const set = (name, value) => {
      const input = form.elements[name];
      if (input && value && !input.value && !touched.has(name) &&
          input !== document.activeElement) input.value = value;
    };
    set("caller_name", caller.name);
    set("caller_phone", caller.phone);
    set("caller_role", caller.role);
    set("caller_organisation", caller.organisation);
    const type = form.querySelector(`input[name="caller_type"][value="${caller.type}"]`);
    if (type && !touched.has("caller_type")) type.checked = true;
    if (status) {
      status.textContent = `Appelant connu : ${caller.name}` +
        (caller.organisation ? `, ${caller.organisation}` : "") +
        ` (${caller.calls} appel(s), le dernier le ${caller.last_call}).`;
    }
  };
  const lookUp = async (params) => {
    const response = await fetch(`${form.action.replace(/nouveau$/, "appelants")}?${params}`,
      { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return;
    const body = await response.json();
    const names = [...new Set(body.items.map((caller) => caller.name))];
    if (names.length > 1 && params.has("telephone")) {
      // a switchboard number: several people call from it, none is guessed
      if (status) status.textContent = `Plusieurs appelants connus à ce numéro : ${names.slice(0, 4).join(", ")}.`;
    } else if (body.items.length) {
      fill(body.items[0]);
    }
  };
  const phone = form.elements.caller_phone;
  if (phone) {
    phone.addEventListener("change", () => {
      if (phone.value.replace(/\D/g, "").length >= 8) {
        lookUp(new URLSearchParams({ telephone: phone.value }));
      }
    });
  }
  const name = form.elements.caller_name;
  const callerList = document.getElementById("known-callers");
  if (name && callerList) {
    name.addEventListener("change", () => {
      const known = Array.from(callerList.options).some((o) => o.value === name.value);
      if (known) lookUp(new URLSearchParams({ q: name.value }));
    });
  }

  // Directory search without leaving the call: results become checkboxes to tick.
  const query = form.elements.service_query;
  const searchButton = form.querySelector("[data-directory-search]");
  const chosen = document.getElementById("chosen-services");
  const results = document.getElementById("directory-results");
  const search = async () => {
    if (!query.value.trim()) return;
    const orientation = form.querySelector('input[name="outcome"][value="orientation"]');
    if (orientation) orientation.checked = true;
    const url = `${form.action.replace(/nouveau$/, "services")}?${new URLSearchParams({ q: query.value })}`;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const kept = Array.from(chosen.querySelectorAll("input:checked")).map((i) => i.closest("li"));
    chosen.replaceChildren(...kept);
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const known = new Set(kept.map((li) => li.querySelector("input").value));
    template.content.querySelectorAll("li").forEach((li) => {
      const input = li.querySelector("input");
      if (!input || !known.has(input.value)) chosen.append(li);
    });
    results.textContent = "";
    const first = chosen.querySelector("input:not(:checked)");
    if (first) first.focus();
  };
  if (query && searchButton && chosen) {
    searchButton.addEventListener("click", (event) => { event.preventDefault(); search(); });
    query.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); search(); }
    });
  }

  // Ctrl+Enter saves from the notes (Enter alone there starts a new line).
  const notes = form.elements.notes;
  if (notes && save) {
    notes.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit(save);
      }
    });
  }
});

// Long forms (the intake): leaving with changes not saved asks first.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-warn-unsaved]").forEach((form) => {
    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (event) => {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  });
});
