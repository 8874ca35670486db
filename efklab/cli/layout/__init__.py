"""``efklab layout``: the indices payloads create, their names, mapping risks, shards, and the node's actual layout."""
