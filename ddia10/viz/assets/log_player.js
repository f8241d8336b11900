// Draws a frame of the log grid player (ddia10/viz/raft_log.py, log_player).
function (root, D) {
  var frame = root.querySelector(".ddia10-frame"), note = root.querySelector(".ddia10-note");
  var last = root.querySelector(".ddia10-last");
  return function (k) {
    var f = D.f[k];
    frame.innerHTML = D.p[f[0]];
    note.textContent = f[1];
    last.textContent = f[2];
  };
}
