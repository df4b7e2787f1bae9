// The browser tag served at GET /cp.js. Plain ES2017, no dependencies; kept as a string so the
// server ships it without a bundler. Usage (see README):
//   <script>window.cp=window.cp||function(){(cp.q=cp.q||[]).push(arguments)};cp('init','pk_…');</script>
//   <script async src="https://beacon.example.com/cp.js"></script>
// `cp('identify', {...})` takes the body of POST /customers. Calls made before the script loaded
// are replayed in order. The key may also be given as data-key on the script element.
export const CP_TAG_SOURCE = `/* Beacon browser tag: window.cp('identify', {...}) */
(function (w, d) {
  'use strict';
  var me = d.currentScript;
  var host = me && me.src ? new URL(me.src).origin : '';
  var key = me && me.getAttribute('data-key') || '';
  var waiting = [];
  var earlier = w.cp && w.cp.q ? Array.prototype.slice.call(w.cp.q) : [];

  function send(customer) {
    return fetch(host + '/customers', {
      method: 'POST',
      keepalive: true,
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + key },
      body: JSON.stringify(customer)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (!response.ok) console.warn('[cp] identify failed: ' + (body && body.message || response.status));
        return body;
      });
    }, function (error) {
      console.warn('[cp] identify failed: ' + error.message);
      return null;
    });
  }

  function cp(command, argument) {
    if (command === 'init') {
      if (typeof argument === 'string') key = argument;
      else if (argument) { key = argument.key || key; host = (argument.host || host).replace(/\\/+$/, ''); }
      var queued = waiting; waiting = [];
      return Promise.all(queued.map(function (call) { return call(); }));
    }
    if (command === 'identify') {
      if (!argument || typeof argument !== 'object') { console.warn('[cp] identify needs an object'); return Promise.resolve(null); }
      if (key) return send(argument);
      return new Promise(function (resolve) { waiting.push(function () { return send(argument).then(resolve); }); });
    }
    console.warn('[cp] unknown command: ' + command);
    return Promise.resolve(null);
  }

  cp.loaded = true;
  w.cp = cp;
  for (var i = 0; i < earlier.length; i++) cp.apply(null, earlier[i]);
})(window, document);
`;
