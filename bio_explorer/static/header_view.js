function l(e){return typeof e=="number"?e.toLocaleString("en-US"):String(e)}function s(e,r){e.replaceChildren();let a=document.createElement("div");a.className="bx-header-files",a.textContent=r.files??"";let o=document.createElement("div");o.className="bx-header-cells";for(let t of r.cells??[]){let n=document.createElement("span");n.className="bx-stat";let c=document.createElement("b");c.textContent=l(t.value),n.append(c," "+t.noun),o.append(n)}if(e.append(a,o),r.note){let t=document.createElement("div");t.className="bx-filter-note",t.textContent=r.note,e.append(t)}}var d=`
.bx-headerview { display: flex; align-items: center; gap: 12px; flex-wrap: wrap;
  font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-size: 13px;
  color: var(--jp-ui-font-color1, inherit); padding: 4px 8px; }
.bx-headerview .bx-header { flex: 1 1 auto; }
.bx-headerview .bx-header-files { font-weight: 600; }
.bx-headerview .bx-header-cells { display: flex; flex-wrap: wrap; }
.bx-headerview .bx-stat { margin-right: 1.2em; white-space: nowrap; }
.bx-headerview .bx-filter-note { opacity: .8; }
.bx-headerview button { font: inherit; padding: 2px 10px; cursor: pointer;
  color: var(--jp-ui-font-color1, inherit); background: var(--jp-layout-color2, transparent);
  border: 1px solid var(--jp-border-color1, #999); border-radius: 3px; }
`;function p({model:e,el:r}){let a=document.createElement("div");a.className="bx-headerview";let o=document.createElement("style");o.textContent=d;let t=document.createElement("div");t.className="bx-header";let n=document.createElement("button");n.type="button",n.textContent="Clear filter",n.title="Show the whole corpus again";let c=()=>e.send({type:"clear"});n.addEventListener("click",c),a.append(o,t,n),r.append(a);let i=()=>s(t,e.get("_stats")??{});return i(),e.on("change:_stats",i),()=>{e.off("change:_stats",i),n.removeEventListener("click",c),a.remove()}}var x={render:p};export{x as default};
