"""The season page's style sheet and script: inline, no CDN, no network request.

The script only reads the page it is in: it filters rows by ``data-state``, batch and a search
box (VIN, short VIN, name, number, order id), sorts them, counts what is shown and keeps the
view in the address's ``#fragment`` so a filtered view can be bookmarked. Both texts are
constants, so the page's Content-Security-Policy allows exactly them by their sha256.
"""
from __future__ import annotations

import base64
import hashlib

__all__ = ["CSS", "SCRIPT", "csp_hash"]


def csp_hash(text: str) -> str:
    """``'sha256-...'`` of an inline script or style, for the Content-Security-Policy."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


CSS = """
:root{--ink:#1d232b;--mute:#5d6773;--line:#d9dee4;--bg:#f6f7f9;--steel:#dfe3e8;
--waiting:#8a94a0;--sent:#2f6fb3;--reminded:#7a4fb5;--approved:#2e8540;--changes:#c2571a;
--released:#0f7b7b;--delivered:#1f5130;--withdrawn:#a3a3a3}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:var(--ink);background:var(--bg)}
header,main{max-width:1400px;margin:0 auto;padding:12px 20px}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:16px;margin:18px 0 8px}
.sub{color:var(--mute);margin:0}.warn{color:#8a1c1c;font-weight:600}
a{color:#1b5fa8}
.counts{display:flex;flex-wrap:wrap;gap:6px;margin:12px 0}
.counts button{border:1px solid var(--line);background:#fff;border-radius:16px;padding:4px 12px;
cursor:pointer;font:inherit}
.counts button b{margin-left:4px}
.counts button[aria-pressed=true]{outline:2px solid var(--ink)}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;
vertical-align:-1px}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px}
figcaption{font-weight:600;margin-bottom:6px}
figure svg{width:100%;height:auto;max-height:240px;display:block}
.chart text{font-size:11px;fill:var(--mute)}
table.batches{border-collapse:collapse;background:#fff;width:100%;border:1px solid var(--line)}
.batches th,.batches td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:right}
.batches th:first-child,.batches td:first-child,.batches td.l{text-align:left}
.tools{position:sticky;top:0;z-index:2;background:var(--bg);display:flex;flex-wrap:wrap;gap:8px;
align-items:center;padding:10px 0;border-bottom:1px solid var(--line)}
.tools input,.tools select{font:inherit;padding:5px 8px;border:1px solid #b9c1ca;border-radius:6px;
background:#fff}
.tools input{flex:1 1 220px;min-width:0}
#shown{color:var(--mute);margin-left:auto}
.wide{overflow-x:auto}
#plaques{display:flex;flex-direction:column}
.r{position:relative;display:flex;flex-wrap:wrap;align-items:baseline;gap:0 10px;background:#fff;
padding:6px 10px 6px 162px;min-height:56px;border-bottom:1px solid var(--line);
content-visibility:auto;contain-intrinsic-size:auto 58px}
.r>*{flex:0 0 auto}
.r[hidden]{display:none}
.h{position:sticky;top:54px;z-index:1;background:#eef1f4;font-weight:600;min-height:0;
content-visibility:visible}
.h>span:first-child{position:absolute;left:10px}.h>span{font:inherit;color:inherit}.h .s{background:none;color:inherit;text-align:left;padding:0}
.h button{all:unset;cursor:pointer}.h button[data-sort]::after{content:" \\25B4"}
.h button[data-sort=descending]::after{content:" \\25BE"}
.r img,.noimg{position:absolute;left:10px;top:7px;width:140px;height:42px;background:var(--steel);
border-radius:5px;display:block;transition:transform .12s;transform-origin:left center}
.r img:hover{transform:scale(3.2);z-index:3;box-shadow:0 2px 12px #0005}
.noimg{color:var(--mute);font-size:11px;text-align:center;line-height:42px}
.n{width:42px;font-variant-numeric:tabular-nums;font-weight:600}
.v{width:150px;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
.v b{font-weight:700}
.o{flex:1 1 160px;max-width:340px;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.o small{color:var(--mute);margin-left:6px}
.c{width:34px}
.b{width:96px;color:var(--mute);font-size:12px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.s{width:88px;font-size:12px;font-weight:600;color:#fff;border-radius:10px;padding:1px 8px;
text-align:center;background:var(--waiting)}
.f{width:100px}.f a{margin-right:6px;font-size:12px}
.d{flex:1 0 100%;font-size:12px;color:var(--mute);margin-top:2px}.d i{font-style:normal;color:var(--ink)}
.d q{quotes:none;color:var(--ink)}.d q::before,.d q::after{content:""}
.h .d{display:none}
.note{color:#8a1c1c}
.waiting{background:var(--waiting)}.sent{background:var(--sent)}.reminded{background:var(--reminded)}
.approved{background:var(--approved)}.changes{background:var(--changes)}
.released{background:var(--released)}.delivered{background:var(--delivered)}
.withdrawn{background:var(--withdrawn)}
.empty{padding:20px;color:var(--mute);background:#fff}
@media (max-width:760px){
header,main{padding:10px 10px}
.charts{grid-template-columns:1fr}
.batches .opt{display:none}
.h{display:none}
.r{padding-left:158px;contain-intrinsic-size:auto 130px}
.r>*{order:3}.r>.n{width:auto;order:1}.r>.s{width:auto;margin-left:auto;order:2}.r>.d{order:4}
.r .v{width:100%}.r .o{flex-basis:100%;white-space:normal}
.r .c,.r .b,.r .f{width:auto}
.r .b::before{content:"batch "}
.r .d{margin-left:-148px;flex-basis:calc(100% + 148px)}
.r img:hover{transform:scale(2.2)}
.tools{top:0}
}
@media print{.tools,.counts button{display:none}.r{break-inside:avoid;content-visibility:visible}}
""".strip()

SCRIPT = r"""
(function(){
"use strict";
var list=document.getElementById("plaques");
if(!list)return;
var rows=Array.prototype.slice.call(list.querySelectorAll(".r[data-vin]"));
var order=["waiting","sent","reminded","approved","changes","released","delivered","withdrawn"];
var q=document.getElementById("q"),fs=document.getElementById("fstate"),
fb=document.getElementById("fbatch"),shown=document.getElementById("shown");
var heads=Array.prototype.slice.call(document.querySelectorAll(".h button[data-k]"));
var chips=Array.prototype.slice.call(document.querySelectorAll(".counts button[data-s]"));
var so=document.getElementById("sort");
var fold=function(s){return s.normalize("NFD").replace(/[\u0300-\u036f]/g,"").toLowerCase();};
var idx=null;
function index(){
  if(idx)return idx;
  // children by position (see season_page._row): thumb, n, v, o, c, b, s, f, d
  idx=rows.map(function(r,i){
    var k=r.children,o=k[3],d=k[8];
    var days=d?d.textContent.match(/\d{4}-\d\d-\d\d/g):null;
    return {r:r,i:i,vin:r.dataset.vin,n:+r.dataset.n,name:fold(o.firstChild.textContent),
      order:fold(o.children[1]?o.children[1].textContent:""),country:k[4].textContent,
      batch:r.dataset.batch||"",state:order.indexOf(r.dataset.state),t:days?days.sort().pop():""};
  });
  return idx;
}
function matches(e,text){
  if(!text)return true;
  var v=text.toUpperCase().replace(/[\s\-]/g,"");
  if(v.length>=3&&e.vin.indexOf(v)>=0)return true;
  var m=/^0*(\d+)(\s*\/\s*\d+)?$/.exec(text.trim());
  if(m&&+m[1]===e.n)return true;
  var f=fold(text.trim());
  return f.length>0&&(e.name.indexOf(f)>=0||e.order.indexOf(f)>=0);
}
function apply(){
  var st=fs?fs.value:"",bt=fb?fb.value:"",text=q?q.value:"",n=0;
  index().forEach(function(e){
    var ok=(!st||e.r.dataset.state===st)&&(!bt||e.batch===bt)&&matches(e,text);
    if(e.r.hidden===ok)e.r.hidden=!ok;
    if(ok)n++;
  });
  if(shown)shown.textContent=n+" of "+rows.length+" shown";
  chips.forEach(function(c){c.setAttribute("aria-pressed",String(c.dataset.s===st));});
  save();
}
var sortKey="",sortDir=1;
function sortBy(k,dir){
  var keyed=index().slice();
  var get={n:function(e){return e.n;},vin:function(e){return e.vin;},name:function(e){return e.name;},
    country:function(e){return e.country;},batch:function(e){return e.i;},state:function(e){return e.state;},
    t:function(e){return e.t;}}[k];
  if(!get){k="";get=function(e){return e.i;};}
  keyed.sort(function(a,b){var x=get(a),y=get(b);
    return (x<y?-1:x>y?1:a.i-b.i)*dir;});
  // the visual order only (CSS order in the flex column): moving 6,309 nodes costs 3x more
  keyed.forEach(function(e,rank){var v=String(rank);if(e.r.style.order!==v)e.r.style.order=v;});
  sortKey=k;sortDir=dir;
  if(so)so.value=k?(dir<0?"-":"")+k:"";
  heads.forEach(function(h){
    if(h.dataset.k===k)h.setAttribute("data-sort",dir>0?"ascending":"descending");
    else h.removeAttribute("data-sort");});
  save();
}
function save(){
  var p=[];
  if(fs&&fs.value)p.push("state="+encodeURIComponent(fs.value));
  if(fb&&fb.value)p.push("batch="+encodeURIComponent(fb.value));
  if(q&&q.value)p.push("q="+encodeURIComponent(q.value));
  if(sortKey)p.push("sort="+(sortDir<0?"-":"")+sortKey);
  var h=p.length?"#"+p.join("&"):"";
  if(location.hash!==h&&history.replaceState)history.replaceState(null,"",h||location.pathname+location.search);
}
function load(){
  var h=location.hash.replace(/^#/,"");
  if(!h)return;
  h.split("&").forEach(function(kv){
    var i=kv.indexOf("="),k=kv.slice(0,i),v="";
    try{v=decodeURIComponent(kv.slice(i+1));}catch(err){return;}
    if(k==="state"&&fs)fs.value=v;
    else if(k==="batch"&&fb)fb.value=v;
    else if(k==="q"&&q)q.value=v;
    else if(k==="sort"){var d=v.charAt(0)==="-"?-1:1;sortBy(v.replace(/^-/,""),d);}
  });
}
var timer=0;
if(q)q.addEventListener("input",function(){clearTimeout(timer);timer=setTimeout(apply,rows.length>2000?120:0);});
if(fs)fs.addEventListener("change",apply);
if(fb)fb.addEventListener("change",apply);
if(so)so.addEventListener("change",function(){var v=so.value;sortBy(v.replace(/^-/,""),v.charAt(0)==="-"?-1:1);});
chips.forEach(function(c){c.addEventListener("click",function(){
  if(fs){fs.value=fs.value===c.dataset.s?"":c.dataset.s;apply();}});});
heads.forEach(function(h){h.addEventListener("click",function(){
  var k=h.dataset.k;sortBy(k,sortKey===k?-sortDir:1);});});
if(location.hash.length>1)load();
if(location.hash.length>1)apply();
else if(shown)shown.textContent=rows.length+" of "+rows.length+" shown";
document.documentElement.dataset.ready="1";
})();
""".strip()
