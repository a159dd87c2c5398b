-- purge: every replica hears which cached upstream answers to drop (an
-- upstream notification made them stale). KEYS[1] the chain's last-message
-- key (it routes the script to the workspace's slot); ARGV[1] the key
-- prefix P, ARGV[2] the event.
publish_event(ARGV[1], ARGV[2])
return 1
