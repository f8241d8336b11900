// Draws a frame of the log grid player. D is a LogPlayerData and each of
// D.frames a LogFrame [picture, note, last] (ddia10/viz/raft_log.py).
function (root, D) {
  var frame = root.querySelector(".ddia10-frame"), note = root.querySelector(".ddia10-note");
  var last = root.querySelector(".ddia10-last");
  return function (k) {
    var f = D.frames[k];
    frame.innerHTML = D.pictures[f[0]];
    note.textContent = f[1];
    last.textContent = f[2];
  };
}
