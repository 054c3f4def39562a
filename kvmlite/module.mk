# kvmlite: see kvmlite/README.md
