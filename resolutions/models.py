"""The shared resolution playbook (topics, versioned answers) lands here in its own issue."""
