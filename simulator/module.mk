# simulator: see simulator/README.md
