"""Fair sharing: quotas per organisation (or per kind) on a resource or a group of them."""
