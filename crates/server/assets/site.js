// Territoria: small conveniences on top of pages that work without JavaScript.
(function () {
  "use strict";
  // Filters and switches: apply on change (the submit button still works).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { if (s.form) s.form.submit(); });
  });
  // Share: show the full address and copy it.
  var share = document.getElementById("share-url");
  if (share) {
    share.value = new URL(share.value, window.location.href).href;
    document.querySelectorAll("button[data-copy]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var input = document.getElementById(b.getAttribute("data-copy"));
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value).catch(function () {});
        else document.execCommand("copy");
      });
    });
  }
  // Maps: a tooltip that follows the pointer; the table row of the area lights up.
  var tip = null;
  document.querySelectorAll("svg.map .area").forEach(function (area) {
    var title = area.querySelector("title");
    area.addEventListener("mousemove", function (e) {
      if (!tip) { tip = document.createElement("div"); tip.className = "maptip"; tip.setAttribute("aria-hidden", "true"); document.body.appendChild(tip); }
      tip.textContent = title ? title.textContent : "";
      tip.style.left = (e.clientX + 12) + "px";
      tip.style.top = (e.clientY + 12) + "px";
      tip.hidden = false;
      area.classList.add("hover");
    });
    area.addEventListener("mouseleave", function () {
      if (tip) tip.hidden = true;
      area.classList.remove("hover");
    });
  });
})();
