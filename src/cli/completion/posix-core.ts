/**
 * The part of the bash and zsh scripts both shells run alike (POSIX sh only): the tables of the completion model
 * as `case` statements, and the walk over the words before the cursor that finds the command path and says what
 * the word at the cursor is. Each shell's glue then offers the candidates its own way.
 */
import type { CompletionNode, ValueCompletion } from './model.js';
import { spellings } from './model.js';

export function posixCore(nodes: readonly CompletionNode[]): string {
  const nodeCases = nodes.map((node) => {
    const valued = node.flags.filter((f) => f.value !== null).flatMap(spellings);
    const flags = node.flags.flatMap(spellings);
    return `    ${quote(node.path)}) __ro_verbs=${quote(node.verbs.map((v) => v.name).join(' '))}; __ro_flags=${quote(flags.join(' '))}; __ro_valued=${quote(valued.join(' '))}; __ro_pass=${node.passThroughAt} ;;`;
  });
  const valueCases = nodes.flatMap((node) =>
    node.flags.flatMap((flag) => (flag.value === null || flag.value.kind === 'none' ? [] : [`    ${spellings(flag).map((s) => quote(`${node.path}|${s}`)).join('|')}) ${assign(flag.value)} ;;`])),
  );
  const positionalCases = nodes.flatMap((node) =>
    node.positionals.flatMap((value, index) => (value.kind === 'none' || index === node.passThroughAt ? [] : [`    ${quote(`${node.path}|${index}`)}) ${assign(value)} ;;`])),
  );
  return `# Tables generated from the command declarations.
__ravi_orchestrator_node() {
  __ro_verbs=''; __ro_flags=''; __ro_valued=''; __ro_pass=-1
  case "$1" in
${nodeCases.join('\n')}
  esac
}

__ravi_orchestrator_flag_value() {
  __ro_kind=none; __ro_words=''
  case "$1|$2" in
${valueCases.join('\n')}
  esac
}

__ravi_orchestrator_positional() {
  __ro_kind=none; __ro_words=''
  case "$1|$2" in
${positionalCases.join('\n')}
  esac
}

# $1: the word at the cursor; then the words before it (the program left out). Sets __ro_path (the command,
# e.g. "service install") and __ro_kind: flags (__ro_flags), words (__ro_words), file, dir, command or none.
__ravi_orchestrator_complete() {
  __ro_cur=$1; shift
  __ro_path=''; __ro_npos=0; __ro_rest=0; __ro_expect=''
  __ravi_orchestrator_node ''
  for __ro_w in "$@"; do
    if [ -n "$__ro_expect" ]; then __ro_expect=''; continue; fi
    if [ "$__ro_rest" = 1 ]; then __ro_npos=$((__ro_npos + 1)); continue; fi
    case "$__ro_w" in
      --) [ "$__ro_pass" -ge 0 ] && __ro_rest=1; continue ;;
      -*=*) continue ;;
      -?*) case " $__ro_valued " in *" $__ro_w "*) __ro_expect=$__ro_w ;; esac; continue ;;
    esac
    case " $__ro_verbs " in
      *" $__ro_w "*) __ro_path=\${__ro_path:+$__ro_path }$__ro_w; __ravi_orchestrator_node "$__ro_path"; continue ;;
    esac
    __ro_npos=$((__ro_npos + 1))
    if [ "$__ro_pass" -ge 0 ] && [ "$__ro_npos" -gt "$__ro_pass" ]; then __ro_rest=1; fi
  done
  if [ -n "$__ro_expect" ]; then __ravi_orchestrator_flag_value "$__ro_path" "$__ro_expect"; return; fi
  if [ "$__ro_rest" = 1 ]; then
    if [ "$__ro_npos" -eq "$__ro_pass" ]; then __ro_kind=command; else __ro_kind=file; fi
    return
  fi
  case "$__ro_cur" in -*) __ro_kind=flags; return ;; esac
  if [ -n "$__ro_verbs" ]; then __ro_kind=words; __ro_words=$__ro_verbs; return; fi
  if [ "$__ro_pass" -ge 0 ] && [ "$__ro_npos" -ge "$__ro_pass" ]; then
    if [ "$__ro_npos" -eq "$__ro_pass" ]; then __ro_kind=command; else __ro_kind=file; fi
    return
  fi
  __ravi_orchestrator_positional "$__ro_path" "$__ro_npos"
}
`;
}

/** The variables the core sets, for each shell's glue to declare local. */
export const CORE_VARIABLES = ['__ro_cur', '__ro_path', '__ro_npos', '__ro_rest', '__ro_expect', '__ro_w', '__ro_verbs', '__ro_flags', '__ro_valued', '__ro_pass', '__ro_kind', '__ro_words'];

function assign(value: ValueCompletion): string {
  return value.kind === 'words' ? `__ro_kind=words; __ro_words=${quote(value.words.join(' '))}` : `__ro_kind=${value.kind}`;
}

/** POSIX single quotes: every byte literal, a `'` written as `'\''`. */
export function quote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}
