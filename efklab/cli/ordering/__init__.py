"""``efklab ordering``: how far the order Discover shows is from the order the lines were written."""
