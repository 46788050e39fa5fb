"""tox 4 plugin: run environments made ready by venvcache."""
