// The decision tree's static face: a question, its answers as buttons, the path taken,
// and at a leaf the recommendation. Reads the tree from the data block beside it.
(function () {
  var root = document.getElementById("__ID__");
  var tree = JSON.parse(root.querySelector("script.ddia10-data").textContent);
  var view = root.querySelector(".ddia10-tree-view");
  var path = [];
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }
  function draw() {
    var at = path.length ? path[path.length - 1].to : tree.start;
    var node = tree.nodes[at];
    view.innerHTML = "";
    if (path.length) {
      var trail = el("ol", "ddia10-tree-path");
      path.forEach(function (step) {
        trail.appendChild(el("li", "", step.question + " — " + step.answer));
      });
      view.appendChild(trail);
    }
    if (node.answers) {
      view.appendChild(el("p", "ddia10-tree-question", node.text));
      node.answers.forEach(function (answer) {
        var b = el("button", "ddia10-tree-answer", answer[0]);
        b.type = "button";
        b.addEventListener("click", function () {
          path.push({question: node.text, answer: answer[0], to: answer[1]});
          draw();
        });
        view.appendChild(b);
      });
    } else {
      var box = el("div", "ddia10-tree-leaf");
      box.appendChild(el("p", "ddia10-tree-model", node.model));
      box.appendChild(el("p", "ddia10-tree-tool", node.text));
      box.appendChild(el("p", "ddia10-tree-where", node.where));
      view.appendChild(box);
    }
    if (path.length) {
      var back = el("button", "ddia10-tree-back", "Back");
      back.type = "button";
      back.addEventListener("click", function () { path.pop(); draw(); });
      view.appendChild(back);
      var again = el("button", "ddia10-tree-restart", "Start over");
      again.type = "button";
      again.addEventListener("click", function () { path = []; draw(); });
      view.appendChild(again);
    }
  }
  draw();
})();
