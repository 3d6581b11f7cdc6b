# fish completion for oractl(8)

function __oractl_keys
    oractl key list --local 2>/dev/null </dev/null | awk 'NR > 1 && NF == 0 { exit } NR > 1 { print $1 }'
end
set -l __oractl_cmds init key report check explain reload status metrics audit

complete -c oractl -f
complete -c oractl -s c -r -F -d 'configuration file'
complete -c oractl -s h -d 'show help'
complete -c oractl -n "not __fish_seen_subcommand_from $__oractl_cmds" -a init -d 'create the state directory and the master key'
complete -c oractl -n "not __fish_seen_subcommand_from $__oractl_cmds" -a key -d 'store, list, replace, remove upstream keys'
complete -c oractl -n "not __fish_seen_subcommand_from $__oractl_cmds" -a report -d 'spend, requests and tokens from the ledger'
complete -c oractl -n "not __fish_seen_subcommand_from $__oractl_cmds" -a check -d 'validate a configuration'
complete -c oractl -n "not __fish_seen_subcommand_from $__oractl_cmds" -a explain -d 'why orad treats USER as it does'
complete -c oractl -n "not __fish_seen_subcommand_from $__oractl_cmds" -a reload -d 'make orad reload'
complete -c oractl -n "not __fish_seen_subcommand_from $__oractl_cmds" -a status -d 'what orad is doing now'
complete -c oractl -n "not __fish_seen_subcommand_from $__oractl_cmds" -a metrics -d 'orad metrics'
complete -c oractl -n "not __fish_seen_subcommand_from $__oractl_cmds" -a audit -d 'who did what to ora'
complete -c oractl -n "__fish_seen_subcommand_from init" -l force -d 'replace an existing master key'
complete -c oractl -n "__fish_seen_subcommand_from key; and not __fish_seen_subcommand_from add list rotate rm check provision" -a 'add list rotate rm check provision'
complete -c oractl -n "__fish_seen_subcommand_from key; and __fish_seen_subcommand_from rotate rm check" -a '(__oractl_keys)'
complete -c oractl -n "__fish_seen_subcommand_from add rotate" -l prompt -d 'prompt on the terminal'
complete -c oractl -n "__fish_seen_subcommand_from add" -l force -d 'replace'
complete -c oractl -n "__fish_seen_subcommand_from add" -l management -d 'an OpenRouter management key'
complete -c oractl -n "__fish_seen_subcommand_from list" -l local -d 'without asking OpenRouter'
complete -c oractl -n "__fish_seen_subcommand_from rotate" -l provision -d 'provision a new key like it'
complete -c oractl -n "__fish_seen_subcommand_from provision" -l limit -x -d 'USD limit OpenRouter enforces'
complete -c oractl -n "__fish_seen_subcommand_from provision" -l reset -x -a 'daily weekly monthly'
complete -c oractl -n "__fish_seen_subcommand_from provision" -l label -x -d 'name at OpenRouter'
complete -c oractl -n "__fish_seen_subcommand_from provision" -l management -x -d 'management key'
complete -c oractl -n "__fish_seen_subcommand_from report" -l by -x -a 'cost_centre user group model key role day month'
complete -c oractl -n "__fish_seen_subcommand_from report" -l from -x -d 'first day'
complete -c oractl -n "__fish_seen_subcommand_from report" -l to -x -d 'last day'
complete -c oractl -n "__fish_seen_subcommand_from report" -l period -x -a 'today yesterday this-week last-week this-month last-month this-year last-year all'
complete -c oractl -n "__fish_seen_subcommand_from report" -l user -x -a '(__fish_complete_users)'
complete -c oractl -n "__fish_seen_subcommand_from report" -l cost-centre -x
complete -c oractl -n "__fish_seen_subcommand_from report" -l format -x -a 'table csv json'
complete -c oractl -n "__fish_seen_subcommand_from explain" -a '(__fish_complete_users)'
complete -c oractl -n "__fish_seen_subcommand_from status" -l json -d 'print JSON'
complete -c oractl -n "__fish_seen_subcommand_from audit" -l since -x -d 'from this date'
complete -c oractl -n "__fish_seen_subcommand_from audit" -l host -x -d 'one host of a shared ledger'
