// Territoria: small conveniences on top of pages that work without JavaScript.
(function () {
  "use strict";
  // Filters and switches: apply on change (the submit button still works).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () {
      if (!s.form) return;
      // Another strategy: its own latest version, not the one of the strategy left.
      if (s.name === "strategy" && s.form.elements.version) s.form.elements.version.disabled = true;
      s.form.submit();
    });
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
        var done = function () {
          var note = document.getElementById(b.getAttribute("data-copy") + "-copied");
          if (note) note.textContent = b.getAttribute("data-copied") || "";
        };
        if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
        else { document.execCommand("copy"); done(); }
      });
    });
  }
  // Near me: "use my location" asks the browser for the position and reloads the
  // page with it (the postal-code form works without this).
  document.querySelectorAll("button[data-geolocate]").forEach(function (b) {
    if (!navigator.geolocation) return;
    b.hidden = false;
    var status = document.getElementById("n-geo-status");
    b.addEventListener("click", function () {
      if (status) status.textContent = b.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        var url = new URL(b.form.action, window.location.href);
        url.searchParams.set("lat", pos.coords.latitude.toFixed(5));
        url.searchParams.set("lon", pos.coords.longitude.toFixed(5));
        ["kind", "service"].forEach(function (k) {
          var v = b.form.elements[k] && b.form.elements[k].value;
          if (v) url.searchParams.set(k, v);
        });
        window.location.assign(url.href);
      }, function () {
        if (status) status.textContent = b.getAttribute("data-refused");
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    });
  });
  // Bulk upload: a large file shows how much is sent, then that it is being read; the
  // answer (the preview) replaces the page as a plain submit would.
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    if (!window.XMLHttpRequest || !window.FormData) return;
    var box = document.getElementById(form.getAttribute("data-progress"));
    if (!box) return;
    var bar = box.querySelector("progress");
    var text = box.querySelector("span");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      box.hidden = false;
      xhr.upload.addEventListener("progress", function (p) {
        if (!p.lengthComputable) return;
        var pct = Math.round(100 * p.loaded / p.total);
        bar.value = pct;
        text.textContent = form.getAttribute("data-sending").replace("{pct}", String(pct));
      });
      xhr.upload.addEventListener("load", function () {
        bar.removeAttribute("value");
        text.textContent = form.getAttribute("data-reading");
      });
      xhr.addEventListener("load", function () {
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(new FormData(form));
    });
  });
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
