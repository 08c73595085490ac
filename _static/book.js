// The book's own behaviour, on every page (Jupyter Book loads _static/*.js).

// Navigation opens on every screen.  The header holds a hidden copy of each
// sidebar button ("Site navigation", "On this page"), first in the page, and both
// themes bind their click handlers to the first `.primary-toggle` and
// `.secondary-toggle` (pydata-sphinx-theme >= 0.17, its issue 2451): the buttons a
// reader sees did nothing.  Each visible copy now hands its click to the bound one.
function forwardSidebarToggles() {
  for (const kind of ["primary", "secondary"]) {
    const [bound, ...copies] = document.querySelectorAll(`.${kind}-toggle`);
    for (const copy of copies) {
      copy.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        bound.click();
      });
    }
  }
}

// Controls a screen reader can use.  A panel's slider (noUiSlider inside
// ipywidgets) has no name and announces its index ("4"): give it the label beside
// it as its name and the readout (the value, "0.01") as its value text; a
// dropdown gets its label as its name.  A
// fold-out's button says "Toggle hidden content": say which hint or solution it opens.
function nameSliders(root) {
  for (const handle of root.querySelectorAll(".widget-slider [role=slider]")) {
    const slider = handle.closest(".widget-slider");
    const label = slider.querySelector(".widget-label");
    const readout = slider.querySelector(".widget-readout");
    const name = label && label.textContent.trim();
    const value = readout && readout.textContent.trim();
    if (name && handle.getAttribute("aria-label") !== name) {
      handle.setAttribute("aria-label", name);
    }
    if (value && handle.getAttribute("aria-valuetext") !== value) {
      handle.setAttribute("aria-valuetext", value);
    }
  }
}

function nameDropdowns(root) {
  for (const select of root.querySelectorAll(".widget-dropdown select")) {
    const label = select.closest(".widget-dropdown").querySelector(".widget-label");
    const name = label && label.textContent.trim();
    if (name && select.getAttribute("aria-label") !== name) select.setAttribute("aria-label", name);
  }
}

function nameFoldOuts(root) {
  for (const button of root.querySelectorAll("button.toggle-button")) {
    const box = button.closest(".admonition");
    const title = box && box.querySelector(".admonition-title");
    if (!title) continue;
    let what = title.textContent.replace(/\s+/g, " ").trim();
    const exercise = box.parentElement && box.parentElement.closest(".exercise");
    if (exercise && !/exercise/i.test(what)) {
      const heading = exercise.querySelector(".admonition-title");
      what = `${what} to ${heading.textContent.replace(/\s+/g, " ").trim()}`;
    }
    const open = button.getAttribute("aria-expanded") === "true";
    const label = `${open ? "Hide" : "Show"} ${what}`;
    if (button.getAttribute("aria-label") !== label) button.setAttribute("aria-label", label);
  }
}

function watchControls() {
  let queued = false;
  const update = () => {
    queued = false;
    nameSliders(document);
    nameDropdowns(document);
    nameFoldOuts(document);
  };
  update();
  new MutationObserver(() => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(update);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ["aria-valuetext", "aria-expanded"]});
}

document.addEventListener("DOMContentLoaded", () => {
  forwardSidebarToggles();
  watchControls();
});
