-- probe: a replica proves its own subscription alive by hearing this
-- message, published through the chain like every event (registry/watch.go).
-- KEYS[1] P events:last (routes the script to the workspace's slot);
-- ARGV[1] the key prefix P, [2] the replica's nonce (hex).
publish_event(ARGV[1], '{"type":"probe","nonce":"' .. ARGV[2] .. '"}')
return 1
