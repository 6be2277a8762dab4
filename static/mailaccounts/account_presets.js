// Choosing a provider fills the server fields (the server does the same for fields left empty).
(function () {
  const presets = JSON.parse(document.getElementById("account-presets").textContent);
  const provider = document.getElementById("id_provider");
  if (!provider) return;
  const note = document.createElement("div");
  note.className = "help";
  note.setAttribute("aria-live", "polite");
  provider.parentNode.appendChild(note);
  function apply(fill) {
    const preset = presets[provider.value] || {};
    note.textContent = preset.note || "";
    if (!fill) return;
    for (const [name, value] of Object.entries(preset)) {
      const field = document.getElementById("id_" + name);
      if (field && name !== "note") field.value = value;
    }
  }
  provider.addEventListener("change", () => apply(true));
  apply(false);
})();
