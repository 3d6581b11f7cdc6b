# fish completion for orask(1)

function __orask_models
    env NO_COLOR=1 orask --timeout=5 models 2>/dev/null </dev/null | awk 'NF > 0 && $1 != "MODEL" && $1 != "ALIAS" { print $1 }'
end
function __orask_cids
    orask --json log 1000 2>/dev/null </dev/null | sed -n 's/.*"conversation":"\([^"]*\)".*/\1/p' | tac | awk '!seen[$0]++'
end
function __orask_templates
    env NO_COLOR=1 orask templates 2>/dev/null </dev/null | awk 'NR > 1 { print $1 }'
end
function __orask_cost_centres
    env NO_COLOR=1 orask --timeout=5 me 2>/dev/null </dev/null | awk '$1 == "cost" && $2 == "centres" { for (i = 3; i <= NF; i++) print $i }'
end
set -l __orask_cmds models me usage log show rm templates

complete -c orask -f
complete -c orask -n "not __fish_seen_subcommand_from $__orask_cmds" -a models -d 'the models you may use'
complete -c orask -n "not __fish_seen_subcommand_from $__orask_cmds" -a me -d 'who the broker thinks you are'
complete -c orask -n "not __fish_seen_subcommand_from $__orask_cmds" -a usage -d 'your budgets'
complete -c orask -n "not __fish_seen_subcommand_from $__orask_cmds" -a log -d 'your last exchanges'
complete -c orask -n "not __fish_seen_subcommand_from $__orask_cmds" -a show -d 'a whole conversation'
complete -c orask -n "not __fish_seen_subcommand_from $__orask_cmds" -a rm -d 'remove a conversation'
complete -c orask -n "not __fish_seen_subcommand_from $__orask_cmds" -a templates -d 'the templates of orask.conf'
complete -c orask -n "__fish_seen_subcommand_from show rm" -a '(__orask_cids)'
complete -c orask -s m -l model -x -a '(__orask_models)' -d 'model slug'
complete -c orask -s s -l system -x -d 'system prompt'
complete -c orask -s t -l temperature -x -d 'sampling temperature, 0 to 2'
complete -c orask -l max-tokens -x -d 'longest answer, in tokens'
complete -c orask -l no-stream -d 'print the answer when it is complete'
complete -c orask -l json -d 'print JSON'
complete -c orask -s e -l cost-centre -x -a '(__orask_cost_centres)' -d 'charge another cost centre'
complete -c orask -s c -l continue -d "continue this terminal's last conversation"
complete -c orask -l cid -x -a '(__orask_cids)' -d 'continue conversation ID'
complete -c orask -s u -l usage -d 'print tokens, cost and budgets'
complete -c orask -s S -l socket -r -F -d 'broker socket'
complete -c orask -l timeout -x -d 'give up after this many seconds'
complete -c orask -s q -l query -x -d 'with log: search for TEXT'
complete -c orask -s T -l template -x -a '(__orask_templates)' -d 'a template of orask.conf'
complete -c orask -s h -l help -d 'show help'
complete -c orask -s V -l version -d 'show the version'
