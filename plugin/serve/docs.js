// Renders /openapi.json: operations, the request body's fields with their rules, a sender.
(function () {
  "use strict";
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function rules(p) {
    var out = [];
    if (p.enum) out.push("one of " + p.enum.join(", "));
    if (p.minimum !== undefined || p.maximum !== undefined)
      out.push((p.minimum !== undefined ? p.minimum : "-inf") + " to " + (p.maximum !== undefined ? p.maximum : "inf"));
    if (p.minLength !== undefined || p.maxLength !== undefined)
      out.push((p.minLength || 0) + " to " + (p.maxLength !== undefined ? p.maxLength : "inf") + " characters");
    if (p.default !== undefined) out.push("default " + JSON.stringify(p["default"]));
    return out.join("; ");
  }
  function headers(json) {
    var h = {};
    var token = document.getElementById("token").value;
    if (token) h["Authorization"] = "Bearer " + token;
    if (json) h["Content-Type"] = "application/json";
    var key = document.getElementById("try-key").value;
    if (key) h["Idempotency-Key"] = key;
    return h;
  }
  fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
    document.getElementById("title").textContent = doc.info.title + " (" + doc.info.version + ")";
    document.getElementById("description").textContent = doc.info.description || "";
    var ops = document.getElementById("ops");
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var box = el("div", {"class": "op"});
        box.appendChild(el("span", {"class": "m " + method}, method.toUpperCase()));
        box.appendChild(document.createTextNode(" "));
        box.appendChild(el("code", {}, path));
        box.appendChild(document.createTextNode(" " + (op.summary || "")));
        if (op.description) box.appendChild(el("div", {}, op.description));
        box.appendChild(el("div", {}, "answers: " + Object.keys(op.responses || {}).join(", ")));
        ops.appendChild(box);
      });
    });
    var schema = doc.components.schemas.CoverRequest;
    var body = document.querySelector("#fields tbody");
    Object.keys(schema.properties).forEach(function (name) {
      var p = schema.properties[name];
      var row = el("tr");
      var required = (schema.required || []).indexOf(name) >= 0 ? " (required)" : "";
      row.appendChild(el("td", {}, name + required));
      row.appendChild(el("td", {}, Array.isArray(p.type) ? p.type.join("|") : (p.type || "")));
      row.appendChild(el("td", {"class": "rule"}, rules(p)));
      row.appendChild(el("td", {}, p.description || ""));
      body.appendChild(row);
    });
  }).catch(function (e) { document.getElementById("ops").textContent = "cannot load /openapi.json: " + e; });
  document.getElementById("try-send").addEventListener("click", function () {
    var out = document.getElementById("try-out");
    out.textContent = "...";
    fetch(document.getElementById("try-op").value, {method: "POST", headers: headers(true),
      body: document.getElementById("try-body").value})
      .then(function (r) { return r.text().then(function (t) { out.textContent = r.status + "\n" + t; }); })
      .catch(function (e) { out.textContent = String(e); });
  });
})();
