using System.Net;
using System.Text;
using Preconfig.ConfigSpace;
using Preconfig.Handoff.Model;

namespace Preconfig.Inspection;

/// <summary>
/// One self-contained HTML page (inline CSS and script, nothing fetched): the bus tree, each function's identity,
/// capabilities and decoded registers, and with a comparison the changed fields highlighted in place. Every field a
/// diff reports is an element with <c>class="chg"</c> and <c>data-field</c> inside its function's
/// <c>li.fn[data-address]</c>: changes that have no place in the decoded lines (unnamed bytes, fields only the other
/// side has) are listed under the function. The script marks <c>#script-status</c> "ok" when it ran without error.
/// </summary>
public static class HtmlReport
{
    public sealed record Options(string Title, string InputName, string? AgainstName);

    public static void Write(TextWriter w, Snapshot input, SnapshotDifference? difference, PciIds ids, Options options)
    {
        var summaries = FunctionSummary.Build(input, ids).ToDictionary(f => f.Address);
        var changes = difference?.ByAddress;
        var sb = new StringBuilder(64 * 1024);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(options.Title)).Append("</title>\n<style>").Append(Css).Append("</style></head>\n<body>\n");
        sb.Append("<header><h1>").Append(E(options.Title)).Append("</h1><p class=\"meta\">");
        sb.Append(input.Devices.Count).Append(" functions from <code>").Append(E(options.InputName)).Append("</code>");
        if (input.HostName.Length > 0) sb.Append(", host ").Append(E(input.HostName));
        if (input.KernelRelease.Length > 0) sb.Append(", kernel ").Append(E(input.KernelRelease));
        if (difference is not null)
        {
            int functions = difference.Changes.Select(c => c.Address).Distinct().Count();
            sb.Append("<br>compared against <code>").Append(E(options.AgainstName ?? "")).Append("</code>: <span class=\"summary\" id=\"diff-summary\">")
              .Append(difference.Changes.Count).Append(" changed fields in ").Append(functions).Append(" functions, ")
              .Append(difference.Added.Count).Append(" added, ").Append(difference.Removed.Count).Append(" removed</span>");
        }
        sb.Append("</p>\n<div class=\"tools\"><input id=\"filter\" type=\"search\" placeholder=\"filter: address, name, class, driver\"> ")
          .Append("<label><input id=\"only-changed\" type=\"checkbox\"> only changed</label> ")
          .Append("<button id=\"expand\">expand all</button> <button id=\"collapse\">collapse all</button> <span id=\"script-status\">script did not run</span></div></header>\n<main>\n");

        sb.Append("<ul class=\"tree\" id=\"tree\">\n");
        foreach (var root in BusTree.Build(input.Devices)) WriteNode(sb, root, summaries, changes, difference);
        sb.Append("</ul>\n");

        if (difference is not null && difference.Added.Count > 0)
        {
            sb.Append("<section id=\"added\"><h2>Functions only in <code>").Append(E(options.AgainstName ?? "")).Append("</code></h2><ul>");
            foreach (var a in difference.Added) sb.Append("<li class=\"added\" data-added=\"").Append(a.ToString()).Append("\">").Append(a.ToString()).Append("</li>");
            sb.Append("</ul></section>\n");
        }
        sb.Append("</main>\n<script>").Append(Script).Append("</script>\n</body></html>\n");
        w.Write(sb);
    }

    private static void WriteNode(StringBuilder sb, BusNode node, Dictionary<PciAddress, FunctionSummary> summaries,
        ILookup<PciAddress, FieldChange>? changes, SnapshotDifference? difference)
    {
        var f = summaries[node.Record.Address];
        var mine = changes?[f.Address].ToList() ?? [];
        bool removed = difference?.Removed.Contains(f.Address) == true;
        string address = f.Address.ToString();
        sb.Append("<li class=\"fn").Append(mine.Count > 0 ? " has-chg" : "").Append(removed ? " removed" : "").Append(node.Children.Count > 0 ? " bridge" : "")
          .Append("\" data-address=\"").Append(address).Append("\" data-changes=\"").Append(mine.Count).Append("\">");
        sb.Append("<details").Append(mine.Count > 0 || removed ? " open" : "").Append("><summary>");
        sb.Append("<span class=\"addr\">").Append(address).Append("</span> <span class=\"cls\">").Append(E(f.ClassText)).Append("</span> ");
        sb.Append("<span class=\"name\">").Append(E($"{f.VendorText} {f.DeviceText}")).Append("</span> <span class=\"ids\">[").Append(f.IdText).Append("]</span>");
        if (node.BusRange is { } range) sb.Append($" <span class=\"bus\">bus {range.Secondary:x2}-{range.Subordinate:x2}</span>");
        if (f.Driver is not null) sb.Append(" <span class=\"drv\">").Append(E(f.Driver)).Append("</span>");
        if (removed) sb.Append(" <span class=\"gone\">only in this input</span>");
        if (mine.Count > 0) sb.Append(" <span class=\"nchg\">").Append(mine.Count).Append(" changed</span>");
        sb.Append("</summary>\n<div class=\"caps\">");
        foreach (var c in f.Capabilities.Capabilities)
            sb.Append("<span class=\"cap").Append(c.Extended ? " ext" : "").Append("\">[").Append(c.Offset.ToString(c.Extended ? "x3" : "x2")).Append("] ").Append(CapabilityNames.Short(c)).Append("</span>");
        foreach (var p in InspectText.ChainProblems(f.Capabilities)) sb.Append("<span class=\"cap bad\">&lt;").Append(E(p)).Append("&gt;</span>");
        sb.Append("</div>\n<div class=\"regs\">");

        var byField = new Dictionary<string, FieldChange>(StringComparer.Ordinal);
        foreach (var c in mine) byField[c.Field] = c;
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in DeviceLines.Build(f))
        {
            if (line.Depth == 0) continue;
            sb.Append("<div class=\"l d").Append(line.Depth).Append("\"><span class=\"lbl\">").Append(E(line.Label)).Append("</span>");
            foreach (var t in line.Tokens)
            {
                sb.Append(' ');
                if (t.Field is { } d && byField.TryGetValue(d.Name, out var change) && placed.Add(d.Name))
                    sb.Append("<span class=\"f chg\" data-field=\"").Append(E(d.Name)).Append("\" title=\"").Append(E($"{d.Name}: {change.From} -> {change.To}"))
                      .Append("\">").Append(E(t.Text)).Append("<span class=\"to\">").Append(E(change.From)).Append(" &rarr; ").Append(E(change.To)).Append("</span></span>");
                else
                    sb.Append("<span class=\"f\">").Append(E(t.Text)).Append("</span>");
            }
            sb.Append("</div>");
        }
        var rest = mine.Where(c => !placed.Contains(c.Field)).ToList();
        if (rest.Count > 0)
        {
            sb.Append("<div class=\"l d1\"><span class=\"lbl\">Other changes:</span>");
            foreach (var c in rest)
                sb.Append(" <span class=\"f chg\" data-field=\"").Append(E(c.Field)).Append("\">").Append(E(c.Field)).Append(' ')
                  .Append("<span class=\"to\">").Append(E(c.From)).Append(" &rarr; ").Append(E(c.To)).Append("</span></span>");
            sb.Append("</div>");
        }
        sb.Append("</div></details>");
        if (node.Children.Count > 0)
        {
            sb.Append("\n<ul>\n");
            foreach (var child in node.Children) WriteNode(sb, child, summaries, changes, difference);
            sb.Append("</ul>");
        }
        sb.Append("</li>\n");
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private const string Css = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fafbfc}
        header{position:sticky;top:0;background:#fff;border-bottom:1px solid #d0d7de;padding:8px 16px;z-index:1}
        h1{font-size:18px;margin:0 0 4px} h2{font-size:16px} .meta{margin:0 0 6px;color:#57606a}
        main{padding:8px 16px} code,.addr,.ids,.regs{font-family:ui-monospace,monospace}
        ul.tree,ul.tree ul{list-style:none;padding-left:18px;margin:0} ul.tree{padding-left:0}
        li.fn{border-left:2px solid #d0d7de;margin:2px 0;padding-left:6px} li.fn.bridge>details>summary .cls{color:#0969da}
        li.fn.has-chg{border-left-color:#cf222e} li.fn.removed>details>summary{text-decoration:line-through;color:#8c959f}
        summary{cursor:pointer;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
        .addr{font-weight:600} .cls{color:#57606a} .ids{color:#6e7781} .bus{background:#ddf4ff;border-radius:4px;padding:0 4px}
        .drv{background:#dafbe1;border-radius:4px;padding:0 4px} .nchg,.gone{background:#ffebe9;color:#cf222e;border-radius:4px;padding:0 4px;font-weight:600}
        .caps{margin:2px 0 2px 14px} .cap{display:inline-block;background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:0 4px;margin:1px 2px;font-size:12px}
        .cap.ext{background:#fff8c5} .cap.bad{background:#ffebe9}
        .regs{font-size:12px;margin:2px 0 6px 14px} .l.d2{padding-left:24px} .lbl{color:#57606a}
        .chg{background:#ffd8d3;outline:1px solid #cf222e;border-radius:3px;padding:0 2px} .to{margin-left:4px;color:#cf222e;font-weight:600}
        .hidden{display:none} #script-status{color:#8c959f;font-size:12px} #added li{font-family:ui-monospace,monospace}
        """;

    private const string Script = """
        (function(){
          var status=document.getElementById('script-status');
          window.addEventListener('error',function(e){status.textContent='script error: '+e.message;status.className='error';});
          var fns=Array.prototype.slice.call(document.querySelectorAll('li.fn'));
          var filter=document.getElementById('filter'), only=document.getElementById('only-changed');
          function apply(){
            var q=filter.value.trim().toLowerCase(), oc=only.checked;
            fns.slice().reverse().forEach(function(li){
              var s=li.querySelector(':scope>details>summary').textContent.toLowerCase();
              var show=(!q||s.indexOf(q)>=0)&&(!oc||li.querySelector('.chg'));
              li.classList.toggle('hidden',!show&&!li.querySelector('li.fn:not(.hidden)'));
            });
          }
          filter.addEventListener('input',apply); only.addEventListener('change',apply);
          document.getElementById('expand').onclick=function(){fns.forEach(function(li){li.querySelector('details').open=true;});};
          document.getElementById('collapse').onclick=function(){fns.forEach(function(li){li.querySelector('details').open=false;});};
          var changed=document.querySelectorAll('.chg').length;
          status.textContent='ok: '+fns.length+' functions, '+changed+' highlighted';
          status.setAttribute('data-state','ok');
        })();
        """;
}
