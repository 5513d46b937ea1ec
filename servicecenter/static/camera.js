// Scanning with the phone's camera, for technicians and warehouse staff without a scanner (templates/_camera.html).
// A code read goes exactly the way a keyboard-wedge scan goes: into the scan field, then form.requestSubmit(), so
// app.js's submit handler sends it and shows the answer row. A list field (the stock count) gets the code and a
// new line, as a scanner's Enter would type it. The labels carry Code128 (servicecenter/barcodes.py): the browser's
// BarcodeDetector reads it where it exists; elsewhere the vendored ZXing decoder (vendor/zxing), loaded only when
// the camera is first opened. Nothing comes from outside the app, and no inline script (the CSP forbids it).
(function () {
  "use strict";
  var REPEAT_MS = 1500;  // the same code read again within this time is not sent again
  var INTERVAL_MS = 120;  // between two tries on the picture
  var MAX_WIDTH = 1024;  // pixels of the picture decoded; larger frames are scaled down
  var lastCode = null, lastAt = 0;
  var decoderPromise = null;
  var current = null;  // the open camera: {widget, stream, timer, session}
  var sessions = 0;

  function canUseCamera() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  // The browser's own detector, when it knows Code128.
  function nativeDecoder() {
    if (typeof window.BarcodeDetector !== "function") return Promise.resolve(null);
    return Promise.resolve().then(function () {
      return window.BarcodeDetector.getSupportedFormats();
    }).then(function (formats) {
      if (formats.indexOf("code_128") < 0) return null;
      var detector = new window.BarcodeDetector({formats: ["code_128"]});
      return function (video) {
        return detector.detect(video).then(function (found) { return found.length ? found[0].rawValue : null; });
      };
    }).catch(function () { return null; });
  }

  // ZXing on a canvas copy of the frame; TRY_HARDER also tries the picture turned 90 degrees.
  function vendoredDecoder(url) {
    return loadScript(url).then(function () {
      var ZXing = window.ZXing;
      var hints = new Map();
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, [ZXing.BarcodeFormat.CODE_128]);
      hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
      var reader = new ZXing.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", {willReadFrequently: true});
      return function (video) {
        var width = video.videoWidth, height = video.videoHeight;
        if (!width || !height) return null;
        var scale = Math.min(1, MAX_WIDTH / width);
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
        try {
          return reader.decodeWithState(new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source))).getText();
        } catch (e) {
          return null;  // nothing readable in this frame
        }
      };
    });
  }

  function decoder(widget) {
    decoderPromise = decoderPromise || nativeDecoder().then(function (native) {
      return native || vendoredDecoder(widget.dataset.decoder);
    }).catch(function (error) {
      decoderPromise = null;  // the next press tries to load it again
      throw error;
    });
    return decoderPromise;
  }

  function part(widget, name) { return widget.querySelector("[data-camera-" + name + "]"); }
  function say(widget, key, extra) {
    part(widget, "status").textContent = (widget.dataset["msg" + key] || "") + (extra ? " " + extra : "");
  }
  function target(widget) {
    var id = widget.dataset.target;
    if (id) return document.getElementById(id);
    var form = widget.closest("form");
    return form && form.querySelector("[data-scan-field]");
  }

  function stopCamera() {
    if (!current) return;
    sessions += 1;  // a start still waiting for the camera gives it back at once
    clearTimeout(current.timer);
    if (current.stream) current.stream.getTracks().forEach(function (track) { track.stop(); });
    var video = part(current.widget, "video");
    video.pause();
    video.srcObject = null;
    part(current.widget, "panel").hidden = true;
    part(current.widget, "open").setAttribute("aria-expanded", "false");
    current.widget.dataset.state = "closed";
    current = null;
  }

  function deliver(widget, code) {
    lastCode = code;
    lastAt = Date.now();
    stopCamera();
    say(widget, "Read", code);
    var field = target(widget);
    if (!field) return;
    if (field.tagName === "TEXTAREA") {  // a list: one tag a line, as the scanner types it
      field.value += (field.value && !/\n$/.test(field.value) ? "\n" : "") + code + "\n";
      field.dispatchEvent(new Event("input", {bubbles: true}));
      field.focus();
      return;
    }
    field.value = code;
    var form = field.form;
    if (form.requestSubmit) form.requestSubmit();
    else form.dispatchEvent(new Event("submit", {bubbles: true, cancelable: true}));
  }

  function scan(widget, decode, session) {
    if (session !== sessions) return;
    var video = part(widget, "video");
    Promise.resolve(video.readyState >= 2 ? decode(video) : null).catch(function () { return null; })
      .then(function (text) {
        if (session !== sessions) return;
        var code = (text || "").trim();
        if (code && !(code === lastCode && Date.now() - lastAt < REPEAT_MS)) { deliver(widget, code); return; }
        current.timer = setTimeout(function () { scan(widget, decode, session); }, INTERVAL_MS);
      });
  }

  function startCamera(widget) {
    stopCamera();
    var session = ++sessions;
    current = {widget: widget, stream: null, timer: null};
    part(widget, "panel").hidden = false;
    part(widget, "open").setAttribute("aria-expanded", "true");
    say(widget, "Starting");
    widget.dataset.state = "starting";
    var video = part(widget, "video");
    var camera = navigator.mediaDevices.getUserMedia({
      audio: false, video: {facingMode: {ideal: "environment"}, width: {ideal: 1280}, height: {ideal: 720}}});
    Promise.all([camera, decoder(widget)]).then(function (both) {
      var stream = both[0];
      if (session !== sessions) { stream.getTracks().forEach(function (track) { track.stop(); }); return; }
      current.stream = stream;
      video.srcObject = stream;
      return video.play().then(function () {
        say(widget, "Aim");
        widget.dataset.state = "scanning";
        scan(widget, both[1], session);
      });
    }).catch(function (error) {
      camera.then(function (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }, function () {});
      if (session !== sessions) return;
      var denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
      stopCamera();
      widget.dataset.state = "failed";
      say(widget, denied ? "Denied" : "Failed");
    });
  }

  function init() {
    if (!canUseCamera()) return;
    document.querySelectorAll("[data-camera]").forEach(function (widget) {
      widget.hidden = false;
      part(widget, "open").addEventListener("click", function () {
        if (current && current.widget === widget) stopCamera(); else startCamera(widget);
      });
      part(widget, "close").addEventListener("click", function () {
        stopCamera();
        var field = target(widget);
        if (field) field.focus();
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && current) {
        var field = target(current.widget);
        stopCamera();
        if (field) field.focus();
      }
    });
    // A phone that locks or switches app gives the camera back.
    document.addEventListener("visibilitychange", function () { if (document.hidden) stopCamera(); });
    window.addEventListener("pagehide", stopCamera);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
