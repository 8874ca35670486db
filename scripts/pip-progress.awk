# `make install`: pip's output condensed to its progress (the full output goes to .venv/install.log).
# One count per package resolved: a line rewritten in place on a terminal (mode=tty), every 25th in a log;
# then pip's installing and done lines, and its warnings and errors as they come.
/^(Collecting|Requirement already satisfied:) / {
    n++
    name = ($1 == "Collecting") ? $2 : $4
    if (mode == "tty") printf "\r  resolved %d packages: %-50s", n, substr(name, 1, 50)
    else if (n % 25 == 1) printf "  resolved %d packages: %s\n", n, name
    fflush()
}
/^Installing collected packages/ {
    if (mode == "tty") printf "\n"
    print "  installing " n " packages (no output for a while: wheels are unpacked)"
    fflush()
}
/^Successfully installed/ { print "  installed"; fflush() }
/^(WARNING|ERROR)/ { print; fflush() }

